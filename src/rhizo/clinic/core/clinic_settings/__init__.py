"""The clinic's contact settings (name, phone, hours) as the admin edits them."""
