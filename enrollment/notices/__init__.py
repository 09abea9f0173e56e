"""Notices to the regional immigration services bureau (地方出入国在留管理局への通知): drafts written
from the office's own facts, four-eyes approval, the notice form as a PDF, sending recorded, the
register of notices and their retention. Never reads an ISA record (DOMAIN §8)."""
