"""Evaluation during training and after it: the schedule (the root worker's side), the child process, and the games."""
