"""Sign-in security: lockout (django-axes), two-factor sign-in (django-otp TOTP), session limits,
API tokens, the account page, and the record of it all (SecurityEvent)."""
