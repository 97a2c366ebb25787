package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/graftql/graft/authz"
	"github.com/spf13/cobra"
)

// newJWTCmd is `graft jwt`: a token for trying Graft as a user, signed with
// the HS key of the JWT config `graft serve` reads. getenv is os.Getenv
// outside tests.
func newJWTCmd(getenv func(string) string) *cobra.Command {
	var (
		spec    authz.TokenSpec
		claims  []string
		secret  string
		expires time.Duration
	)
	cmd := &cobra.Command{
		Use:   "jwt",
		Short: "Print a JWT for trying Graft as a role (signed with the HS key of HASURA_GRAPHQL_JWT_SECRET)",
		Long: `Print a JWT that graft serve accepts with the same JWT config: signed with
its HS256/HS384/HS512 key, the claims where claims_map, claims_namespace_path
or claims_namespace (with claims_format) say, and its issuer and audience.
RS*, ES*, Ed25519 and jwk_url configs are refused: their tokens come from the
holder of the private key.`,
		Example: `  export HASURA_GRAPHQL_JWT_SECRET='{"type":"HS256","key":"<at least 32 characters>"}'
  graft jwt --role user --user-id 42 --claim x-hasura-org-id=1`,
		Args: cobra.NoArgs,
		// main prints the error; usage would bury it.
		SilenceUsage: true, SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			source := "--jwt-secret"
			if !cmd.Flags().Changed("jwt-secret") {
				source, secret = "HASURA_GRAPHQL_JWT_SECRET", getenv("HASURA_GRAPHQL_JWT_SECRET")
			}
			if secret == "" {
				return fmt.Errorf("HASURA_GRAPHQL_JWT_SECRET is not set (nor --jwt-secret): graft jwt signs with the key of the JWT config graft serve uses")
			}
			spec.Claims = map[string]string{}
			for _, c := range claims {
				k, v, ok := strings.Cut(c, "=")
				if !ok || k == "" {
					return fmt.Errorf("--claim %q: want name=value, e.g. x-hasura-org-id=1", c)
				}
				spec.Claims[k] = v
			}
			spec.Expires = expires
			token, err := authz.SignToken(secret, spec, time.Now())
			if err != nil {
				return fmt.Errorf("%s: %w", source, err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), token)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Role, "role", "", "x-hasura-default-role (required)")
	f.StringSliceVar(&spec.AllowedRoles, "allowed-roles", nil, "more x-hasura-allowed-roles, comma-separated (--role is always allowed)")
	f.StringVar(&spec.UserID, "user-id", "", "x-hasura-user-id (also the sub claim)")
	f.StringArrayVar(&claims, "claim", nil, "another session variable, name=value (repeatable), e.g. x-hasura-org-id=1")
	f.DurationVar(&expires, "expires", time.Hour, "lifetime of the token (0: no exp claim)")
	f.StringVar(&secret, "jwt-secret", "", "JWT config (JSON), instead of env HASURA_GRAPHQL_JWT_SECRET")
	if err := cmd.MarkFlagRequired("role"); err != nil {
		panic(err) // the flag is registered just above
	}
	return cmd
}
