// cdktf's jest matchers (toHaveResourceWithProperties and friends) for every test file.
import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";

Testing.setupJest();
