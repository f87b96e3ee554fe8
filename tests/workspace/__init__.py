"""The staff workspace: the lead page, the text inbox, the overflow console, words and times."""
