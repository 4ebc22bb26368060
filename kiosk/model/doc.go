// Package model is the kiosk's model, apart from its runtime and outputs:
// the inputs (each track's latest standings, race state and status, with
// the rules that order them), the merge of tracks into one board, and the
// scene that turns both into what every output shows.
//
// The model is pure: no MQTT, no files, no goroutines, no clock reads
// (every time is passed in). Package kiosk feeds it the broker's messages
// (Scene.Apply) and publishes a Snapshot after every change; the screen
// (Snapshot.Board, drawn by package display), the public web pages, their
// live updates, the overlay and the commentator view (package kiosk/web)
// all read that one value.
//
// Ordering of snapshots: the model keeps, per track and kind, the snapshot
// with the highest seq and drops lower or equal ones (see Inputs). The
// contract makes seq increase across a trackside's restarts, so a kiosk
// needs no knowledge of boots. A trackside whose store was replaced (a new
// SD card) starts again at low seqs under a new epoch (mqtt.Header.Epoch):
// the model resets that track's ordering when the epoch changes.
package model
