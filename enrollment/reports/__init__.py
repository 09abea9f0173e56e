"""Reports of the enrollment work: the dashboard's panels, the supervisor page, the ISA month diff."""
