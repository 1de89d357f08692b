"""The developer's tools, outside the product: the demo (a scripted customer
on simulated devices, the local central server), the screen galleries and the
simulator window. No product module imports this package (import-linter);
``kiosk-dev`` runs it."""
