"""Tutorial import path for records: ``from arena.core.policy_record import *``."""

from arena.records import PolicyRecord, load_records, policy_dir

__all__ = ["PolicyRecord", "load_records", "policy_dir"]
