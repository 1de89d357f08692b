"""The app shell: runs the flow, executes its commands, links the devices."""
