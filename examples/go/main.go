// A Go backend asking `roomkey serve` for a Red5 Pro token on behalf of a user it has already
// signed in, with its service key. Standard library only.
//
//	ROOMKEY_URL=http://127.0.0.1:3000 ROOMKEY_SERVICE_KEY=rk_… go run . alice room-abc publisher
//
// Prints the token on standard output; on a refusal prints the problem's code and detail on
// standard error and exits 1. The service's configuration caps the key, each setting written
// out (absent rooms or transports grant none):
//
//	{ "name": "go-backend", "sha256": "…", "role": "publisher", "users": "any",
//	  "rooms": ["room-*"], "platforms": ["red5pro"], "transports": ["WHIP", "WHEP"] }
//
// "users": "any" because this backend signs its users in itself and may act for each of them;
// a key for a narrower job names its users, such as ["kiosk-*"].
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

type tokenRequest struct {
	Room string `json:"room"`
	Role string `json:"role"`
}

type tokenResponse struct {
	Identity string `json:"identity"`
	Role     string `json:"role"`
	Tokens   map[string]struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expiresAt"`
	} `json:"tokens"`
}

type problem struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go run . USER ROOM ROLE (with ROOMKEY_URL and ROOMKEY_SERVICE_KEY set)")
		os.Exit(2)
	}
	url := os.Getenv("ROOMKEY_URL")
	if url == "" {
		url = "http://127.0.0.1:3000"
	}
	key := os.Getenv("ROOMKEY_SERVICE_KEY")
	if key == "" {
		fmt.Fprintln(os.Stderr, "set ROOMKEY_SERVICE_KEY to the key `roomkey service-key` made for this backend")
		os.Exit(2)
	}
	body, _ := json.Marshal(tokenRequest{Room: os.Args[2], Role: os.Args[3]})
	request, err := http.NewRequest(http.MethodPost, url+"/tokens", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	request.Header.Set("Authorization", "Bearer "+key)
	request.Header.Set("Roomkey-User", os.Args[1])
	request.Header.Set("Content-Type", "application/json")

	client := &http.Client{Timeout: 10 * time.Second}
	response, err := client.Do(request)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot reach roomkey serve:", err)
		os.Exit(1)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		var p problem
		_ = json.NewDecoder(response.Body).Decode(&p)
		fmt.Fprintf(os.Stderr, "refused: %d %s: %s\n", response.StatusCode, p.Code, p.Detail)
		os.Exit(1)
	}
	var answer tokenResponse
	if err := json.NewDecoder(response.Body).Decode(&answer); err != nil {
		fmt.Fprintln(os.Stderr, "unexpected answer:", err)
		os.Exit(1)
	}
	fmt.Println(answer.Tokens["red5pro"].Token)
}
