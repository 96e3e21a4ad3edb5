"""Who else answers for a debt, pure: the spousal-debt assessment (CC 1064), the estate's
distribution among heirs and legatees (CC 1159–1163) and the liability matrix's rules."""
