"""Formats of other tools and other devices: the sync folder (`sync_folder`) and the JSON
dump (`json_dump`). Each reads and writes through the store's queries, like the commands."""
