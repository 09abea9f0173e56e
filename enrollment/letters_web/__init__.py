"""The letters pages (通知書): queued and held letters, print batches (make the PDF, download it,
mark it sent), one letter with its preview, and the envelope window test sheet."""
