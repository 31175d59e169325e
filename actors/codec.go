package actors

import (
	"encoding/base64"
	"strings"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
)

// wantsJSON reports whether a request is protojson rather than protobuf.
// It matches as HTTP does: the header name in any case (NATS headers are
// a case-sensitive map, so every key is looked at), the media type in any
// case, and parameters such as "; charset=utf-8" ignored.
func wantsJSON(m *nats.Msg) bool {
	for name, values := range m.Header {
		if strings.EqualFold(name, messages.HeaderContentType) && len(values) > 0 {
			return isJSONMediaType(values[0])
		}
	}
	return false
}

// isJSONMediaType reports whether a Content-Type value names application/json.
func isJSONMediaType(v string) bool {
	mediaType, _, _ := strings.Cut(v, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), messages.ContentTypeJSON)
}

// decodeRequest reads an API request in the encoding the client chose.
func decodeRequest(m *nats.Msg, into proto.Message) *apiError {
	name := into.ProtoReflect().Descriptor().Name()
	if wantsJSON(m) {
		if err := protojson.Unmarshal(m.Data, into); err != nil {
			return errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST,
				"the request is not a valid JSON %s: %s", name, protoErrorText(err))
		}
		return nil
	}
	if err := proto.Unmarshal(m.Data, into); err != nil {
		return errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST,
			"the request is not a valid protobuf %s (%s); a JSON request needs the header Content-Type: application/json",
			name, protoErrorText(err))
	}
	return nil
}

var jsonOut = protojson.MarshalOptions{EmitDefaultValues: true}

// respond answers an API request in the encoding the request used.
func (n *Node) respond(m *nats.Msg, resp proto.Message) {
	if m.Reply == "" {
		return
	}
	if !wantsJSON(m) {
		// A plain publish: a message with headers (even empty ones) costs
		// both ends a header block to write and parse on every answer.
		if data, err := proto.Marshal(resp); err == nil {
			_ = n.conn.Publish(m.Reply, data)
		}
		return
	}
	out := nats.NewMsg(m.Reply)
	out.Header.Set(messages.HeaderContentType, messages.ContentTypeJSON)
	var err error
	if out.Data, err = jsonOut.Marshal(resp); err == nil {
		_ = n.conn.PublishMsg(out)
	}
}

// contextAdvice ends every bad-context error: the token is opaque.
const contextAdvice = "send back a context exactly as a get or put returned it, or none for a blind write"

// encodeContextToken is the client-facing form of a causal context.
func encodeContextToken(v vclock.VV) string {
	return base64.RawURLEncoding.EncodeToString(vclock.EncodeContext(v))
}

func decodeContextToken(s string) (vclock.VV, *apiError) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errorf(messages.ErrorCode_ERROR_CODE_BAD_CONTEXT,
			"the context is not base64url (%v); %s", err, contextAdvice)
	}
	v, err := vclock.DecodeContext(b)
	if err != nil {
		return nil, errorf(messages.ErrorCode_ERROR_CODE_BAD_CONTEXT,
			"the context is malformed (%s); %s", contextErrorText(err), contextAdvice)
	}
	return v, nil
}
