"""Physician referrals: referring offices, the referral form and its files, status and outcome reports."""
