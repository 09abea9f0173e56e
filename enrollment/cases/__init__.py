"""Reminder cases (勧奨ケース): opened from matched records and pension lists, followed through
letters, deadlines, second reminders and — for withdrawal — ex officio withdrawal."""
