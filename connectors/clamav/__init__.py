"""ClamAV: referral attachments scanned by a clamd daemon over its INSTREAM protocol."""
