"""Pipeline functions behind the ``hubcase`` subcommands (one per command).

* :func:`hubcase.pipeline.tables.export_tables` — ``hubcase tables``
* :func:`hubcase.pipeline.build.build` — ``hubcase build``
"""
