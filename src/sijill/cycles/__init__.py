"""Running a cycle from end to end: one orchestrator that the command line, the worker and the demo all call."""
