"""Reports built from the service's own data: the annual report (kvalitetsmelding), and the
spreadsheet and CSV writers the reports and the record of processing share."""
