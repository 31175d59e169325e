package actors

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// loadNATSConfig reads a standard nats-server configuration file for the
// embedded server: its authorization users and permissions, tls, and
// cluster { tls, authorization } blocks, and whatever else nats-server
// takes. The node's own flags (--listen, --cluster-listen, --join, max
// payload, JetStream) are applied on top by startEmbeddedNATS.
//
// The node adds a user of its own (internalUser), so the file must keep
// its users where that user can sit beside them: a users list or a single
// user and password (turned into a list of one) in the global account. A
// token, accounts and operators are refused: with them the node's user
// would be refused, or land in an account that cannot see its clients.
func loadNATSConfig(path string) (*server.Options, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("nats config %s: %w", path, unwrapPathError(err))
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("nats config %s: %s", path, oneLine(err))
	}
	switch {
	case opts.Authorization != "":
		return nil, fmt.Errorf("nats config %s: authorization token is not supported; define users (user/password or nkey) instead", path)
	case len(opts.Accounts) > 0 || len(opts.TrustedOperators) > 0 || len(opts.TrustedKeys) > 0:
		return nil, fmt.Errorf("nats config %s: accounts and operators are not supported; define users in the authorization block", path)
	}
	if opts.Username != "" {
		opts.Users = append(opts.Users, &server.User{Username: opts.Username, Password: opts.Password})
		opts.Username, opts.Password = "", ""
	}
	return opts, nil
}

// unwrapPathError drops the path an *os.PathError repeats.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// oneLine joins the lines of a multi-error (nats-server reports every
// problem of a file at once) so a refusal to start is one log line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// internalUser is the credential the node's own connection uses with an
// embedded server that requires auth: an nkey made at start and never
// written anywhere, so the config file need not mention the node and no
// client can present it. It has every permission: the node serves
// kv.api.>, kv.admin.> and kv.internal.> and answers on clients' inboxes.
type internalUser struct {
	kp  nkeys.KeyPair
	pub string
}

func newInternalUser() (*internalUser, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("node credential: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("node credential: %w", err)
	}
	return &internalUser{kp: kp, pub: pub}, nil
}

// grant adds the user to the server's options.
func (u *internalUser) grant(opts *server.Options) {
	opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: u.pub})
}

// option is the nats.go connect option that presents the credential.
func (u *internalUser) option() nats.Option {
	return nats.Nkey(u.pub, u.kp.Sign)
}

// authRequired reports whether opts make the server ask clients for
// credentials.
func authRequired(opts *server.Options) bool {
	return len(opts.Users) > 0 || len(opts.Nkeys) > 0
}
