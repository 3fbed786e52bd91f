"""Jobs that run client calls on a thread pool and report to the GUI thread by signals."""
