// The read-only planner page's button: copy the plan into a new draft and open it in the editor.

const button = document.getElementById('gisgrid-make-draft');
if (button) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    const response = await fetch('/v1/plans', {
      method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify({scope: button.dataset.scope, name: button.dataset.name, source: 'copy_active'}),
    });
    const body = await response.json().catch(() => null);
    if (response.ok && body) {
      window.location.assign(`/maps/plans/${body.id}/planner`);
    } else {
      button.disabled = false;
      button.title = body && body.message ? body.message : `HTTP ${response.status}`;
      button.classList.add('failed');
    }
  });
}
