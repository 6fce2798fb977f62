// Package iamdoc holds IAM policy documents the constructs share.
package iamdoc

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
)

// AssumeRole is a trust policy that lets the AWS service principal (e.g.
// "lambda.amazonaws.com") assume a role.
func AssumeRole(scope constructs.Construct, id, service string) dataawsiampolicydocument.DataAwsIamPolicyDocument {
	return dataawsiampolicydocument.NewDataAwsIamPolicyDocument(scope, jsii.String(id), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{{
			Actions: jsii.Strings("sts:AssumeRole"),
			Principals: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{{
				Type: jsii.String("Service"), Identifiers: jsii.Strings(service),
			}},
		}},
	})
}
