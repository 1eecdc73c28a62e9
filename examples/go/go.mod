module example.com/roomkey-token-client

go 1.19
