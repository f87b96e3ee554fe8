"""The staff workspace: the lead page (details and activity stream) and the practice's text inbox."""
