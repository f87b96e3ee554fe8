"""What a staff board shows: the open-lead snapshot, presence, and the managers' dashboard."""
