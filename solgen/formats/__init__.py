"""The writers: ``templates.py`` (one sandboxed Jinja environment per format, with its
escaping), ``prose.py`` (prose to LaTeX and Markdown, the math whitelist), ``html.py``
(prose and math to HTML/MathML), ``json.py`` (JSON from the typed results)."""
