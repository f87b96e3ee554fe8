"""First-party journey capture: the `/t.js` script and its rate-limited collection endpoint."""
