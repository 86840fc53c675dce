package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Command is one line a client sends: {"cmd":"status"}. Args is free for
// commands that need arguments (a later "maint" will carry the real
// server there).
type Command struct {
	Cmd  string          `json:"cmd"`
	Args json.RawMessage `json:"args,omitempty"`
}

// Response is one line the server answers: {"ok":true,"data":...} or
// {"ok":false,"error":"..."}.
type Response struct {
	OK    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// Built-in commands.
const (
	CmdStatus = "status" // answers a Snapshot
	CmdDump   = "dump"   // answers a Dump
)

// MaxRequest and MaxResponse bound a request and a response line, so a confused client
// cannot make the daemon buffer without limit. A status of thousands of
// real servers fits easily.
const (
	MaxRequest  = 64 << 10
	MaxResponse = 64 << 20
)

// Peer is who is on the other end of a connection, from SO_PEERCRED:
// the credentials of the process that connected, as the kernel saw
// them at connect time. Known is false where the OS cannot tell.
type Peer struct {
	PID   int32  `json:"pid"`
	UID   uint32 `json:"uid"`
	GID   uint32 `json:"gid"`
	Known bool   `json:"known"`
}

func (p Peer) String() string {
	if !p.Known {
		return "unknown peer"
	}
	return fmt.Sprintf("pid %d uid %d gid %d", p.PID, p.UID, p.GID)
}

// ErrNotRoot is returned (wrapped) by RequireRoot; it matches
// os.ErrPermission with errors.Is.
var ErrNotRoot = fmt.Errorf("this command needs root: %w", os.ErrPermission)

// ErrUnknownCommand is returned to clients for a command no handler
// serves.
var ErrUnknownCommand = errors.New("unknown command")

// RequireRoot returns nil when the peer is known to be uid 0 and an
// error wrapping ErrNotRoot otherwise. Commands that change state must
// call it (or be wrapped with RootOnly): the socket's 0600 mode already
// keeps others out, this is the second lock should the mode be widened.
func RequireRoot(p Peer) error {
	if p.Known && p.UID == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", p, ErrNotRoot)
}
