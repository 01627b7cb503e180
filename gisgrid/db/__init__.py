"""Storage: engine, models, migrations, queries and the embedded local cluster."""
