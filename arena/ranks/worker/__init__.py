"""Policy workers: the rank's round, and the link that shows a policy its match as a Gymnasium env."""
