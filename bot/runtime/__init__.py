"""The composition root: the CLI, the runner, the scheduler, the HTTP app."""
