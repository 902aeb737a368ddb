"""Environment ranks: the lock-step loop and the paced (real-time) loop, talking to their match's workers."""
