package actors

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/quorum"
	"github.com/quorumkv/quorumkv/storage"
)

func TestForKeyNamesKeyAndKeepsCounts(t *testing.T) {
	cases := []struct {
		e    *quorum.Error
		code messages.ErrorCode
		want []string
	}{
		{&quorum.Error{Code: quorum.Timeout, What: "read", Got: 1, Needed: 2},
			messages.ErrorCode_ERROR_CODE_TIMEOUT,
			[]string{`read of key "k" in namespace "default" timed out after 5s`, "1 of 2", "timeoutMs"}},
		{&quorum.Error{Code: quorum.Unavailable, What: "write", Got: 0, Needed: 2},
			messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE,
			[]string{`write of key "k" in namespace "default"`, "0 of 2", "smaller w"}},
		{&quorum.Error{Code: quorum.Unavailable, What: "read write-back", Got: 1, Needed: 2},
			messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE,
			[]string{`read of key "k"`, "smaller r"}},
	}
	for _, tc := range cases {
		got := forKey(answerError(tc.e), "", "k", 5*time.Second)
		if got.code != tc.code || got.got != tc.e.Got || got.needed != tc.e.Needed {
			t.Errorf("%v: %+v", tc.e, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got.msg, w) {
				t.Errorf("%v: message %q lacks %q", tc.e, got.msg, w)
			}
		}
	}
	if forKey(nil, "", "k", time.Second) != nil {
		t.Error("success must stay nil")
	}
}

func TestToAPIErrorDropsPackagePrefixes(t *testing.T) {
	corrupt := fmt.Errorf("storage: get p3 %q/%q: %w: checksum mismatch", "default", "k", storage.ErrCorrupt)
	other := fmt.Errorf("storage: put p3: %w", errors.New("disk full"))
	for _, tc := range []struct {
		err  error
		code messages.ErrorCode
	}{
		{corrupt, messages.ErrorCode_ERROR_CODE_CORRUPT},
		{other, messages.ErrorCode_ERROR_CODE_INTERNAL},
	} {
		got := toAPIError(tc.err)
		if got.code != tc.code || strings.Contains(got.msg, "storage:") {
			t.Errorf("%v: %+v", tc.err, got)
		}
	}
}
