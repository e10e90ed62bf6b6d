/**
 * A prebuilt worker image must come from ECR in the stack's own region: the VPC has no internet
 * path, so images are pulled only through the ECR interface endpoints and the S3 gateway endpoint,
 * whose policy admits this region's ECR layer bucket only.
 */
export interface EcrImage {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
}

const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com\/([a-z0-9][a-z0-9._/-]*)(?::[\w.-]{1,128}|@sha256:[a-f0-9]{64})$/;

/** The account, region and repository of an ECR image URI with a tag or digest; undefined for anything else. */
export function parseEcrImage(uri: string): EcrImage | undefined {
  const match = ECR_IMAGE.exec(uri);
  return match ? { account: match[1], region: match[2], repository: match[3] } : undefined;
}
