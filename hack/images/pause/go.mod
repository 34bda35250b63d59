module discovery.local/images/pause

go 1.26
