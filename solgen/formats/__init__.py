"""One module per output format's own pieces (escaping, prose, math); ``render.py`` holds
the Jinja environments that use them. HTML lives here; LaTeX and Markdown prose are in
``prose.py``."""
