"""The one way to import a file: decode → read the table → validate every row → save in one
transaction (services). The pure parts (decoding, table, values) import no Django."""
