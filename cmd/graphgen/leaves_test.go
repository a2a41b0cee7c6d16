package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gqlgen's resolution of a plain leaf, as it writes it (v0.17.98).
const generatedLeaf = `func (ec *executionContext) _SystemUser_integrationTitle(ctx context.Context, field graphql.CollectedField, obj *registry.SystemUser) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_SystemUser_integrationTitle(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.IntegrationTitle, nil
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler {
			return ec.marshalNString2string(ctx, selections, v)
		},
		true,
		true,
	)
}
func (ec *executionContext) fieldContext_SystemUser_integrationTitle(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return graphql.NewScalarFieldContext("SystemUser", field, false, false, "String")
}
`

func TestRewritePlainLeaves(t *testing.T) {
	t.Parallel()
	leaf := plainLeaf{object: "SystemUser", field: "integrationTitle", goField: "IntegrationTitle", marshal: "marshalNString2string"}
	tests := []struct {
		name    string
		src     string
		want    string // in the rewritten file; "" when the rewrite must refuse
		wantErr string
	}{
		{
			name: "gqlgen's field read becomes a marshal",
			src:  generatedLeaf,
			want: "obj *registry.SystemUser) (ret graphql.Marshaler) {\n\treturn ec.marshalNString2string(ctx, field.Selections, obj.IntegrationTitle)\n}\nfunc (ec *executionContext) fieldContext_SystemUser_integrationTitle(",
		},
		{
			name:    "a resolver is not a field read",
			src:     strings.Replace(generatedLeaf, "return obj.IntegrationTitle, nil", "return ec.Resolvers.SystemUser().IntegrationTitle(ctx, obj)", 1),
			wantErr: "not the field read gqlgen writes",
		},
		{
			name:    "another field's read",
			src:     strings.Replace(generatedLeaf, "obj.IntegrationTitle", "obj.ExternalRef", 1),
			wantErr: "not the field read gqlgen writes",
		},
		{
			name:    "a function cut short",
			src:     generatedLeaf[:strings.Index(generatedLeaf, "\t\ttrue,\n\t)\n}")],
			wantErr: "not a function gqlgen writes",
		},
		{
			name:    "no such function",
			src:     strings.ReplaceAll(generatedLeaf, "_SystemUser_integrationTitle", "_SystemUser_title"),
			wantErr: "no resolution of SystemUser.integrationTitle",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "system_user.generated.go")
			if err := os.WriteFile(file, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			err := rewritePlainLeaves(dir, []plainLeaf{leaf})
			got, _ := os.ReadFile(file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				if string(got) != tt.src {
					t.Fatal("a refused rewrite changed the file")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tt.want) || strings.Contains(string(got), "graphql.ResolveField(") {
				t.Fatalf("rewritten:\n%s", got)
			}
		})
	}
}
