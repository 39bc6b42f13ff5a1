"""The equipment package (utstyrspakke): the digital equipment every kindergarten and school should
have (the standard), what each unit has (holdings), and the gap and replacement plan."""
