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
	tests := []rewriteCase{
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
	runRewriteCases(t, leaf, tests)
}

// gqlgen's resolution of a plain object field, as it writes it (v0.17.98).
const generatedObjectField = `func (ec *executionContext) _SystemUserEdge_node(ctx context.Context, field graphql.CollectedField, obj *model.SystemUserEdge) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_SystemUserEdge_node(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.Node, nil
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *registry.SystemUser) graphql.Marshaler {
			return ec.marshalNSystemUser2ᚖgithubᚗcomᚋsystemuserᚑgatewayᚋsystemuserᚋregistryᚐSystemUser(ctx, selections, v)
		},
		true,
		true,
	)
}
`

func TestRewritePlainObjectFields(t *testing.T) {
	t.Parallel()
	field := plainLeaf{object: "SystemUserEdge", field: "node", goField: "Node", objectField: true,
		marshal: "marshalNSystemUser2ᚖgithubᚗcomᚋsystemuserᚑgatewayᚋsystemuserᚋregistryᚐSystemUser"}
	tests := []rewriteCase{
		{
			name: "gqlgen's object read becomes plainField",
			src:  generatedObjectField,
			want: "(ret graphql.Marshaler) {\n\tfc, _ := ec.fieldContext_SystemUserEdge_node(ctx, field)\n" +
				"\treturn plainField(ctx, ec.OperationContext, fc, obj.Node, ec." + field.marshal + ")\n}\n",
		},
		{
			name:    "a field that does not recover from a panic",
			src:     strings.Replace(generatedObjectField, "\t\ttrue,\n\t\ttrue,\n", "\t\tfalse,\n\t\ttrue,\n", 1),
			wantErr: "not the object read gqlgen writes",
		},
		{
			name:    "another field context",
			src:     strings.Replace(generatedObjectField, "return ec.fieldContext_SystemUserEdge_node(ctx, field)", "return ec.fieldContext_SystemUserEdge_cursor(ctx, field)", 1),
			wantErr: "not the object read gqlgen writes",
		},
		{
			name:    "another marshaler",
			src:     strings.Replace(generatedObjectField, "return ec.marshalNSystemUser2", "return ec.marshalOSystemUser2", 1),
			wantErr: "not the object read gqlgen writes",
		},
		{
			name:    "a resolver is not a field read",
			src:     strings.Replace(generatedObjectField, "return obj.Node, nil", "return ec.Resolvers.SystemUserEdge().Node(ctx, obj)", 1),
			wantErr: "not the field read gqlgen writes",
		},
	}
	runRewriteCases(t, field, tests)
}

type rewriteCase struct {
	name    string
	src     string
	want    string // in the rewritten file; "" when the rewrite must refuse
	wantErr string
}

// runRewriteCases rewrites each case's file for l alone, and wants either
// the rewrite (and no gqlgen resolution left) or the error, with the file
// untouched.
func runRewriteCases(t *testing.T, l plainLeaf, tests []rewriteCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "system_user.generated.go")
			if err := os.WriteFile(file, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			err := rewritePlainLeaves(dir, []plainLeaf{l})
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
