"""Solution -> a format-blind view (``view``) whose sentences come from the words catalogs
(``words``); the writers in ``formats`` turn it into files."""
