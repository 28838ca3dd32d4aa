"""Services: the operations the CLI, the web pages and the API share. Routes and commands stay thin."""
