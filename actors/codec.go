package actors

import (
	"encoding/base64"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/vclock"
)

// wantsJSON reports whether a request is protojson rather than protobuf.
func wantsJSON(m *nats.Msg) bool {
	return m.Header != nil && m.Header.Get(messages.HeaderContentType) == messages.ContentTypeJSON
}

// decodeRequest reads an API request in the encoding the client chose.
func decodeRequest(m *nats.Msg, into proto.Message) *apiError {
	var err error
	if wantsJSON(m) {
		err = protojson.Unmarshal(m.Data, into)
	} else {
		err = proto.Unmarshal(m.Data, into)
	}
	if err != nil {
		return errorf(messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, "%v", err)
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
		return nil, errorf(messages.ErrorCode_ERROR_CODE_BAD_CONTEXT, "not base64url: %v", err)
	}
	v, err := vclock.DecodeContext(b)
	if err != nil {
		return nil, errorf(messages.ErrorCode_ERROR_CODE_BAD_CONTEXT, "%v", err)
	}
	return v, nil
}
