package client

// TooLargeText lets the fake node of the external tests answer an
// oversized value in the node's words.
var TooLargeText = tooLargeText
