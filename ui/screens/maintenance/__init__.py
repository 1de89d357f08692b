"""The maintenance menu on the touch screen: ``screen`` shows the pages of the
role that came in; one module per page (``devices``, ``queue``, ``system``,
``operations``, ``cash``, ``settings``, ``enrollment``, ``pins``) on the
``page`` module's base. Imported on first use, after the first paint."""
