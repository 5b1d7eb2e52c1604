package gcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"gocloud.dev/gcerrors"
)

// Error is an error answer of the Cloud Storage API.
type Error struct {
	// Op is what was asked: "read", "write", "list", …
	Op string
	// Bucket and Key name what it was asked of (Key is empty for a list).
	Bucket, Key string
	// Status is the HTTP status code.
	Status int
	// Reason is the API's reason code ("notFound", "conditionNotMet", …),
	// when it gave one.
	Reason string
	// Message is the API's message, when it gave one.
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gcs: %s gs://%s", e.Op, e.Bucket)
	if e.Key != "" {
		fmt.Fprintf(&b, "/%s", e.Key)
	}
	fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// apiError reads the error answer resp (its body up to maxErrorBody) into
// an *Error.
func apiError(op, bucket, key string, resp *http.Response) *Error {
	e := &Error{Op: op, Bucket: bucket, Key: key, Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var v struct {
		Error struct {
			Message string `json:"message"`
			Errors  []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil && v.Error.Message != "" {
		e.Message = v.Error.Message
		if len(v.Error.Errors) > 0 {
			e.Reason = v.Error.Errors[0].Reason
		}
	} else if msg := strings.TrimSpace(string(body)); msg != "" && !strings.HasPrefix(msg, "<") {
		// An emulator or a proxy answers in plain text; an HTML page
		// says nothing the status does not.
		e.Message = firstLine(msg, 200)
	}
	return e
}

func firstLine(s string, max int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// errorCode maps an error of the driver to a gcerrors code.
func errorCode(err error) gcerrors.ErrorCode {
	switch {
	case errors.Is(err, context.Canceled):
		return gcerrors.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return gcerrors.DeadlineExceeded
	}
	var e *Error
	if !errors.As(err, &e) {
		return gcerrors.Unknown
	}
	switch e.Status {
	case http.StatusNotFound:
		return gcerrors.NotFound
	case http.StatusPreconditionFailed:
		return gcerrors.FailedPrecondition
	case http.StatusUnauthorized, http.StatusForbidden:
		return gcerrors.PermissionDenied
	case http.StatusTooManyRequests:
		return gcerrors.ResourceExhausted
	case http.StatusBadRequest, http.StatusRequestedRangeNotSatisfiable:
		return gcerrors.InvalidArgument
	case http.StatusConflict:
		return gcerrors.AlreadyExists
	case http.StatusNotImplemented:
		return gcerrors.Unimplemented
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return gcerrors.DeadlineExceeded
	}
	if e.Status >= 500 {
		return gcerrors.Internal
	}
	return gcerrors.Unknown
}

// retryable reports whether a request that got status may succeed if it
// is sent again.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}
