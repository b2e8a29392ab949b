// The Redis slot coordinator lands here (issue: "Many processes").
export {};
