"""The HTTP layer: ``create_app(settings)`` builds the FastAPI app on the gisgrid core."""

from api.app import create_app

__all__ = ["create_app"]
