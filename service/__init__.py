"""The HTTP service: the API under ``/v1``, the web page at ``/`` and the office view at ``/office``.

Run it with ``matcher serve``, or ``uvicorn --factory service.main:create_app``.
"""
