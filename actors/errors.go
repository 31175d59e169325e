package actors

import (
	"errors"
	"fmt"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
)

// apiError is a failure with the machine-readable code that crosses the wire.
type apiError struct {
	code        messages.ErrorCode
	msg         string
	got, needed int
}

func (e *apiError) Error() string { return e.msg }

func errorf(code messages.ErrorCode, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

func quorumError(code messages.ErrorCode, what string, got, needed int) *apiError {
	return &apiError{code: code, got: got, needed: needed,
		msg: fmt.Sprintf("%s got %d of %d replica acknowledgements", what, got, needed)}
}

// toAPIError classifies any error for the wire.
func toAPIError(err error) *apiError {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, storage.ErrCorrupt) {
		return errorf(messages.ErrorCode_ERROR_CODE_CORRUPT, "%v", err)
	}
	return errorf(messages.ErrorCode_ERROR_CODE_INTERNAL, "%v", err)
}

func (e *apiError) proto() *messages.Error {
	if e == nil {
		return nil
	}
	return &messages.Error{Code: e.code, Message: e.msg, Got: uint32(e.got), Needed: uint32(e.needed)}
}

func apiErrorFromProto(p *messages.Error) *apiError {
	if p == nil || p.Code == messages.ErrorCode_ERROR_CODE_OK {
		return nil
	}
	return &apiError{code: p.Code, msg: p.Message, got: int(p.Got), needed: int(p.Needed)}
}
